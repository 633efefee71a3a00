"""Twins of drivers/gpu/drm/xe/xe_gt_sriov_pf_config.c, one module per release or posting that changed it."""

"""Twins of include/drm/drm_pagemap.h, one module per release or posting that changed it."""

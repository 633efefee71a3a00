"""The errno values the modelled kernel paths return (include/uapi/asm-generic/errno-base.h)."""
ENODEV = 19
EINVAL = 22
ERANGE = 34

"""A peer GPU over a private link (VRAM offsets in one specific VRAM), one module per revision."""

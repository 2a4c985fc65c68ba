"""stitchkit: build, export and check stitchable ViT families (SN-Net / SN-Netv2) as stitchserve bundles."""

__version__ = "0.1.0"

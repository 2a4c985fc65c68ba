"""The demo family: a small SN-Netv2 family trained on Fashion-MNIST for classify/segment/depth/detect.

Modules: :mod:`.fmnist` (IDX loading), :mod:`.scenes` (deterministic scene generator for the dense tasks),
:mod:`.metrics` (top-1, mIoU, depth errors, detection mAP), and the training/evaluation entry points.
"""

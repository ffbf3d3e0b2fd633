"""The Qt desktop app: the only package that imports PySide6. A thin layer over the core."""

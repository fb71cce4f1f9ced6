"""The dev gateway: CloudBase, SCF HTTP and timer triggers emulated over local HTTP."""

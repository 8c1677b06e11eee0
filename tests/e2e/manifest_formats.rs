//! Hash lists as archivists have them: sha256sum output, BagIt manifests, JSON Lines.

//! Connectors: a live AWS deployment (CloudWatch, S3, Auto Scaling) mapped onto the twin's types, so the
//! console can mirror production with the same views. Nothing here yet: the mirror issue fills it in.

//! Connectors: a live AWS deployment (CloudWatch, S3, Auto Scaling, site health) mapped onto the twin's types,
//! so the console can mirror production with the same views. So far: the mirror's configuration (`config`);
//! the sources and the publisher come with the rest of the mirror issue.

pub mod cloudwatch;
pub mod config;

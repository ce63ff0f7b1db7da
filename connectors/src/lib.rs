//! Connectors: a live AWS deployment (CloudWatch, S3, Auto Scaling, site health) mapped onto the twin's types,
//! so the console can mirror production with the same views. So far: the mirror's configuration (`config`),
//! CloudWatch's publisher and source (`cloudwatch`), and the S3 inventory (`s3`); Auto Scaling, site health,
//! mirror mode and actions come with the rest of the mirror issue.

pub mod cloudwatch;
pub mod config;
pub mod s3;

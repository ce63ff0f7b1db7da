//! Against the emulator (moto; the test command starts it and names it in AWS_ENDPOINT_URL): the inventory of a
//! bucket, taken page by page, holds exactly the objects put, with their sizes.

mod support;

use aws_sdk_s3::primitives::ByteStream;
use connectors::fault::FaultKind;
use connectors::s3;
use support::emulator;

#[tokio::test]
async fn the_inventory_matches_the_objects_put_across_pages() {
    let (url, _moto) = emulator().await;
    let client = s3::client("us-east-1", Some(&url), None).await;
    let bucket = format!("edgetwin-inventory-{}", std::process::id());
    client.create_bucket().bucket(&bucket).send().await.unwrap();
    // A title's objects the way ingest lays them out: playlists, init and media segments, thumbnails.
    let mut put = Vec::new();
    for rung in ["240p_235k", "720p_3000k"] {
        put.push((format!("harbor-lights/feature/avc/{rung}/playlist.m3u8"), 180));
        put.push((format!("harbor-lights/feature/avc/{rung}/init.mp4"), 846));
        for n in 1..=10 {
            put.push((format!("harbor-lights/feature/avc/{rung}/seg_{n:05}.m4s"), 1000 + n * 37));
        }
    }
    put.push(("harbor-lights/feature/thumbnails/320x180/00001.jpg".into(), 7512));
    for (key, size) in &put {
        let body = ByteStream::from(vec![b'x'; *size]);
        client.put_object().bucket(&bucket).key(key).body(body).send().await.unwrap();
    }
    let (inventory, calls) = s3::inventory(&client, &bucket, "us-east-1", 7).await.unwrap();
    assert_eq!(calls, put.len().div_ceil(7), "pages of 7 keys");
    assert_eq!(inventory.stats.objects, put.len() as u64);
    assert_eq!(inventory.stats.bytes, put.iter().map(|p| p.1 as u64).sum::<u64>());
    assert_eq!((inventory.stats.puts, inventory.stats.gets), (0, 0), "a listing counts no requests");
    let mut expected: Vec<(String, u64)> = put.iter().map(|(k, s)| (k.clone(), *s as u64)).collect();
    expected.sort();
    let listed: Vec<(String, u64)> = inventory.list("", "", usize::MAX).map(|(k, s)| (k.to_string(), s)).collect();
    assert_eq!(listed, expected);
    // A bucket that is not there is named in the error.
    let err = s3::inventory(&client, "no-such-bucket-here", "us-east-1", 1000).await.unwrap_err();
    assert_eq!(err.kind, FaultKind::Rejected, "{err}");
    assert!(err.message.contains("s3://no-such-bucket-here") && err.message.contains("NoSuchBucket"), "{err}");
}

//! Prints the nanoseconds one signed request takes to build, per platform, as
//! `<platform> <ns>` lines: the figures `bench/peers.sh` compares with the Python SDKs. Each
//! figure is the median of [`ROUNDS`] timed rounds, as `bench/peers.py` takes its own, so one
//! noisy round on a shared machine moves neither side of the ratio.

use std::time::Instant;

use shop_api_benches::*;

/// Timed rounds per figure.
const ROUNDS: usize = 7;

fn per_op<F: FnMut()>(mut f: F) -> f64 {
    for _ in 0..2_000 {
        f();
    }
    let n = 20_000;
    let mut rounds: Vec<f64> = (0..ROUNDS)
        .map(|_| {
            let started = Instant::now();
            for _ in 0..n {
                f();
            }
            started.elapsed().as_nanos() as f64 / n as f64
        })
        .collect();
    rounds.sort_by(f64::total_cmp);
    rounds[ROUNDS / 2]
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let dd = doudian_client();
    let dd_req = doudian_request();
    let tt = tiktok_client();
    let tt_req = tiktok_request();
    let dy = douyin_client();
    let dy_req = douyin_request();
    println!(
        "doudian {:.0}",
        per_op(|| drop(std::hint::black_box(
            rt.block_on(dd.prepare(&dd_req)).unwrap()
        )))
    );
    println!(
        "tiktok {:.0}",
        per_op(|| drop(std::hint::black_box(
            rt.block_on(tt.prepare(&tt_req)).unwrap()
        )))
    );
    println!(
        "douyin {:.0}",
        per_op(|| drop(std::hint::black_box(
            rt.block_on(dy.prepare(&dy_req)).unwrap()
        )))
    );
}

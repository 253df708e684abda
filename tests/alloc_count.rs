//! Heap allocations per warm call, counted by a global allocator on this thread only:
//! the generated `run` must allocate less than a hand-written `redis::cmd("EVALSHA")`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
#[cfg(feature = "aio")]
use std::future::Future;

use evalsha_testkit::Server;

evalsha::include_script!("tests/scripts/incr_by.lua");

/// Counts allocations (and reallocations) made while this thread's flag is set.
struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<u64> = const { Cell::new(0) };
}

fn bump() {
    // `try_with`: the allocator also runs while thread locals are torn down.
    let _ = COUNTING.try_with(|on| {
        if on.get() {
            let _ = COUNT.try_with(|c| c.set(c.get() + 1));
        }
    });
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        bump();
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        bump();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const CALLS: u64 = 200;

/// Allocations per call of `f`, after warming it up, on this thread.
fn per_call(mut f: impl FnMut()) -> f64 {
    for _ in 0..20 {
        f();
    }
    COUNT.with(|c| c.set(0));
    COUNTING.with(|on| on.set(true));
    for _ in 0..CALLS {
        f();
    }
    COUNTING.with(|on| on.set(false));
    COUNT.with(|c| c.get()) as f64 / CALLS as f64
}

#[test]
fn warm_run_allocates_less_than_hand_written_evalsha() {
    let server = Server::start();
    let mut con = server.connection();
    let _: String = redis::cmd("SCRIPT")
        .arg("LOAD")
        .arg(IncrBy::SOURCE)
        .query(&mut con)
        .unwrap();

    let evalsha = per_call(|| {
        let n: i64 = IncrBy.run(&mut con, "alloc:a", 1).unwrap();
        assert!(n > 0);
    });
    let by_hand = per_call(|| {
        let n: i64 = redis::cmd("EVALSHA")
            .arg(IncrBy::SHA1)
            .arg(1)
            .arg("alloc:b")
            .arg(1)
            .query(&mut con)
            .unwrap();
        assert!(n > 0);
    });
    let script = redis::Script::new(IncrBy::SOURCE);
    let redis_script = per_call(|| {
        let n: i64 = script.key("alloc:c").arg(1).invoke(&mut con).unwrap();
        assert!(n > 0);
    });
    eprintln!(
        "allocations per warm call: evalsha {evalsha}, redis::cmd(EVALSHA) {by_hand}, redis::Script {redis_script}"
    );
    assert!(
        evalsha < by_hand,
        "evalsha {evalsha} allocations per call, hand-written EVALSHA {by_hand}"
    );
}

#[cfg(feature = "aio")]
/// Like [`per_call`], for an async call driven on a current-thread runtime, so the
/// connection's driver task runs (and allocates) on this thread too.
fn per_async_call<F: Future<Output = ()>>(
    rt: &tokio::runtime::Runtime,
    mut f: impl FnMut() -> F,
) -> f64 {
    rt.block_on(async {
        for _ in 0..20 {
            f().await;
        }
        COUNT.with(|c| c.set(0));
        COUNTING.with(|on| on.set(true));
        for _ in 0..CALLS {
            f().await;
        }
        COUNTING.with(|on| on.set(false));
    });
    COUNT.with(|c| c.get()) as f64 / CALLS as f64
}

#[cfg(feature = "aio")]
#[test]
fn warm_run_async_allocates_no_more_than_hand_written_evalsha() {
    let server = Server::start();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let con = rt.block_on(server.multiplexed());
    let _: String = redis::cmd("SCRIPT")
        .arg("LOAD")
        .arg(IncrBy::SOURCE)
        .query(&mut server.connection())
        .unwrap();

    let evalsha = per_async_call(&rt, || {
        let mut con = con.clone();
        async move {
            let n: i64 = IncrBy.run_async(&mut con, "alloc:a", 1).await.unwrap();
            assert!(n > 0);
        }
    });
    let by_hand = per_async_call(&rt, || {
        let mut con = con.clone();
        async move {
            let n: i64 = redis::cmd("EVALSHA")
                .arg(IncrBy::SHA1)
                .arg(1)
                .arg("alloc:b")
                .arg(1)
                .query_async(&mut con)
                .await
                .unwrap();
            assert!(n > 0);
        }
    });
    let script = redis::Script::new(IncrBy::SOURCE);
    let redis_script = per_async_call(&rt, || {
        let mut con = con.clone();
        let script = &script;
        async move {
            let n: i64 = script
                .key("alloc:c")
                .arg(1)
                .invoke_async(&mut con)
                .await
                .unwrap();
            assert!(n > 0);
        }
    });
    eprintln!(
        "allocations per warm async call: evalsha {evalsha}, redis::cmd(EVALSHA) {by_hand}, redis::Script {redis_script}"
    );
    assert!(
        evalsha <= by_hand,
        "evalsha {evalsha} allocations per async call, hand-written EVALSHA {by_hand}"
    );
}

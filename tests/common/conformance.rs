//! The checks every store passes (tests/store.rs: memory and SQLite; tests/postgres.rs:
//! PostgreSQL).

use lua_persist::store::{ExtStore, Write, FIRST_NEW_TABLE_ID};

/// The same checks for every store.
pub fn conformance(store: &mut dyn ExtStore) {
    assert_eq!(
        store.next_free_id().unwrap(),
        FIRST_NEW_TABLE_ID,
        "an empty store: ids 1 (_home) and 2 (_io) are never new tables"
    );
    if let Some(block) = store.reserve_id_block().unwrap() {
        assert!(block.start >= FIRST_NEW_TABLE_ID, "reserved {block:?}");
        assert!(store.next_free_id().unwrap() >= block.end);
    }
    assert_eq!(store.get(1, b"a").unwrap(), None);
    assert_eq!(store.size(1).unwrap(), 0);
    assert!(store.keys(1).unwrap().is_empty());
    assert!(store.table_ids().unwrap().is_empty());

    store.set(1, b"b", b"\x02two").unwrap();
    store.set(1, b"a", b"\x01one").unwrap();
    store.set(1, b"a", b"\x01ONE").unwrap(); // replaces
    store.set(5, b"\x00bin\xff", &[7; 100_000]).unwrap();
    let long_key = vec![b'k'; 10_000];
    store.set(1, &long_key, b"\x00").unwrap();
    assert_eq!(
        store.get(1, &long_key).unwrap().as_deref(),
        Some(&b"\x00"[..])
    );
    store.delete(1, &long_key).unwrap();
    assert_eq!(
        store.get(1, b"a").unwrap().as_deref(),
        Some(&b"\x01ONE"[..])
    );
    assert_eq!(
        store.get(5, b"\x00bin\xff").unwrap().unwrap().len(),
        100_000
    );
    assert_eq!(store.size(1).unwrap(), 2);
    assert_eq!(store.keys(1).unwrap(), vec![b"a".to_vec(), b"b".to_vec()]);
    assert_eq!(store.table_ids().unwrap(), vec![1, 5]);
    let after_five = store.next_free_id().unwrap();
    assert!(after_five >= 6);

    store.delete(5, b"\x00bin\xff").unwrap();
    store.delete(5, b"never there").unwrap();
    assert_eq!(store.size(5).unwrap(), 0);
    assert_eq!(store.table_ids().unwrap(), vec![1]);
    assert_eq!(
        store.next_free_id().unwrap(),
        after_five,
        "ids of emptied tables stay used: stored references may name them"
    );

    store
        .write_batch(&[
            Write {
                id: 7,
                key: b"x",
                value: Some(b"\x00"),
            },
            Write {
                id: 1,
                key: b"b",
                value: None,
            },
        ])
        .unwrap();
    assert_eq!(store.keys(1).unwrap(), vec![b"a".to_vec()]);
    assert!(store.next_free_id().unwrap() >= 8);
    store.reserve_ids(200).unwrap();
    // A store that gives ids out in blocks (PgStore's sequence) rounds up to its block.
    let raised = store.next_free_id().unwrap();
    assert!((200..200 + 64).contains(&raised), "raised to {raised}");
    store.reserve_ids(3).unwrap();
    assert_eq!(store.next_free_id().unwrap(), raised, "never goes down");
    atomic_blocks(store);
}

/// Atomic blocks (`begin_exclusive`/`end_exclusive`): a committed block keeps its writes;
/// a store that `ends_undo` puts back what a rolled-back block wrote, batches and new id
/// blocks included; the store works normally after either.
fn atomic_blocks(store: &mut dyn ExtStore) {
    let value = |s: &mut dyn ExtStore, key: &[u8]| s.get(9, key).unwrap();
    store.set(9, b"k", b"before").unwrap();
    store.begin_exclusive().unwrap();
    store.set(9, b"k", b"in block").unwrap();
    store
        .write_batch(&[
            Write {
                id: 9,
                key: b"new",
                value: Some(b"n"),
            },
            Write {
                id: 9,
                key: b"k2",
                value: Some(b"2"),
            },
        ])
        .unwrap();
    assert_eq!(
        value(store, b"k").as_deref(),
        Some(&b"in block"[..]),
        "a block reads its writes"
    );
    store.end_exclusive(true).unwrap();
    assert_eq!(value(store, b"new").as_deref(), Some(&b"n"[..]));
    store.begin_exclusive().unwrap();
    store.set(9, b"k", b"rolled back").unwrap();
    store.delete(9, b"new").unwrap();
    let _ = store.reserve_id_block().unwrap();
    store.end_exclusive(false).unwrap();
    if store.ends_undo() {
        assert_eq!(value(store, b"k").as_deref(), Some(&b"in block"[..]));
        assert_eq!(value(store, b"new").as_deref(), Some(&b"n"[..]));
    }
    store.set(9, b"after", b"a").unwrap();
    assert_eq!(value(store, b"after").as_deref(), Some(&b"a"[..]));
    // A block reserved ids and rolled back: the next reservation starts where that one did,
    // and writes to a table past the stored next id still raise it.
    let before = store.next_free_id().unwrap();
    store
        .write_batch(&[Write {
            id: before + 5,
            key: b"t",
            value: Some(b"v"),
        }])
        .unwrap();
    assert!(
        store.next_free_id().unwrap() > before + 5,
        "the next id covers every used table"
    );
    let version = store.version().unwrap();
    assert_eq!(store.version().unwrap(), version, "nobody else wrote");
}

//! Benchmarks (criterion). See docs/performance.md.

use criterion::{Criterion, criterion_group, criterion_main};

fn placeholder(c: &mut Criterion) {
    c.bench_function("guid_parse", |b| {
        b.iter(|| "071cc716-8147-4397-a5ba-b2105951cc0b".parse::<tapsim::Guid>())
    });
}

criterion_group!(benches, placeholder);
criterion_main!(benches);

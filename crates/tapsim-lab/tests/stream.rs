//! Tests: JSON lines are streamed, one event built, written and flushed at a time
//! (issue 11).

#![allow(missing_docs)]

use std::io::{self, Write};

use tapsim::HashCost;
use tapsim_lab::{Report, RunOptions, builtin_labs};

#[derive(Debug, PartialEq)]
enum Event {
    Write(Vec<u8>),
    Flush,
}

/// A writer that records every call, and fails once `fail_after` flushes are done.
#[derive(Default)]
struct Recorder {
    events: Vec<Event>,
    fail_after: Option<usize>,
}

impl Recorder {
    fn flushes(&self) -> usize {
        self.events.iter().filter(|e| **e == Event::Flush).count()
    }
}

impl Write for Recorder {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.fail_after.is_some_and(|n| self.flushes() >= n) {
            return Err(io::Error::other("disk full"));
        }
        self.events.push(Event::Write(buf.to_vec()));
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.events.push(Event::Flush);
        Ok(())
    }
}

fn reports() -> Vec<Report> {
    let options = RunOptions::new().hash_cost(HashCost::Minimum);
    builtin_labs()
        .iter()
        .flat_map(|lab| lab.scenarios)
        .map(|s| s.scenario().unwrap().run(&options).unwrap())
        .collect()
}

#[test]
fn json_lines_are_written_and_flushed_one_event_at_a_time() {
    for report in reports() {
        for quiet in [false, true] {
            let mut rec = Recorder::default();
            report.write_json_lines(quiet, &mut rec).unwrap();
            // Between two flushes, exactly one line: each is written and flushed on
            // its own, never the whole report at once.
            let mut lines = Vec::new();
            let mut current = Vec::new();
            for e in &rec.events {
                match e {
                    Event::Write(b) => current.extend_from_slice(b),
                    Event::Flush => {
                        assert_eq!(current.last(), Some(&b'\n'));
                        assert_eq!(current.iter().filter(|b| **b == b'\n').count(), 1);
                        lines.push(String::from_utf8(std::mem::take(&mut current)).unwrap());
                    }
                }
            }
            assert!(current.is_empty(), "bytes left unflushed");
            // Byte for byte what `to_json_lines` returns, every line a JSON object.
            assert_eq!(lines.concat(), report.to_json_lines(quiet));
            assert!(lines.len() >= 2);
            for l in &lines {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                assert!(v["type"].is_string(), "{l}");
            }
            assert_eq!(
                serde_json::from_str::<serde_json::Value>(&lines[0]).unwrap()["type"],
                "scenario"
            );
            assert_eq!(
                serde_json::from_str::<serde_json::Value>(lines.last().unwrap()).unwrap()["type"],
                "result"
            );
        }
    }
}

#[test]
fn a_failing_writer_stops_the_stream_at_its_first_error() {
    let report = reports().remove(0);
    let mut rec = Recorder {
        fail_after: Some(3),
        ..Recorder::default()
    };
    let err = report.write_json_lines(false, &mut rec).unwrap_err();
    assert_eq!(err.to_string(), "disk full");
    // Three whole lines went out, then nothing more was tried.
    assert_eq!(rec.flushes(), 3);
    assert_eq!(rec.events.last(), Some(&Event::Flush));
    let written: Vec<u8> = rec
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Write(b) => Some(b.clone()),
            Event::Flush => None,
        })
        .flatten()
        .collect();
    let expected: String = report
        .to_json_lines(false)
        .split_inclusive('\n')
        .take(3)
        .collect();
    assert_eq!(String::from_utf8(written).unwrap(), expected);
}

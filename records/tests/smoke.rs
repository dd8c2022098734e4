//! Quick end-to-end checks of the public API the relay builds on.

use records::wire::{self, Frame, FrameDecoder};
use records::*;

fn frame(t: i64, n: u32, step: i32) -> PositionFrame {
    PositionFrame {
        time: VenueTime(t),
        stamps: LatencyStamps {
            captured: Some(VenueTime(t - 5)),
            ..LatencyStamps::NONE
        },
        objects: (0..n)
            .map(|i| ObjectPosition {
                id: TrackId(i * 3 + 1),
                class: if i == 0 {
                    ObjectClass::Ball
                } else {
                    ObjectClass::Player
                },
                player: (i > 0).then_some(PlayerId(100 + i)),
                x_cm: (i as i32) * 100 + step * (i as i32 % 5),
                y_cm: -(i as i32) * 50 + step * step / 10,
                z_cm: if i == 0 { step.abs() } else { 0 },
                confidence: 200,
                flags: SourceFlags::VISION,
            })
            .collect(),
    }
}

#[test]
fn batch_round_trips_through_push_decoder() -> Result<(), Box<dyn std::error::Error>> {
    let records: Vec<Record> = (0..60)
        .map(|i| Record::Positions(frame(i * 40_000_000, 23, i as i32)))
        .collect();
    let batch = Batch::new(VenueId(1), MatchId(2), NodeId(3), StreamId(4), 5, records);
    let bytes = wire::encode_batch(&batch)?;
    let mut dec = FrameDecoder::new();
    for chunk in bytes.chunks(7) {
        dec.push(chunk);
    }
    let got = dec.next()?;
    assert_eq!(got, Some(Frame::Batch(batch)));
    assert_eq!(dec.next()?, None);
    Ok(())
}

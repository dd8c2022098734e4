#!/usr/bin/env bash
# Regenerates tests/data/testsrc_320x240_25fps_30f.mp4: 30 frames of H.264 (x264) in MP4, 25 fps.
# Used by the native-stack GStreamer test (count, size and timestamps are checked).
set -euo pipefail
cd "$(dirname "$0")/.."
gst-launch-1.0 -q videotestsrc num-buffers=30 pattern=smpte \
  ! video/x-raw,width=320,height=240,framerate=25/1 \
  ! x264enc speed-preset=veryfast key-int-max=10 \
  ! h264parse ! mp4mux ! filesink location=tests/data/testsrc_320x240_25fps_30f.mp4
ls -l tests/data/testsrc_320x240_25fps_30f.mp4

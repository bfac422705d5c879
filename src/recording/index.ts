/** Record and replay (docs/RECORDING.md): the .zmqrec format, the recorder and its store tap, the reader, replay. */
export { Recorder, DEFAULT_FLUSH_MS, DEFAULT_MAX_BYTES, type RecorderOptions } from './recorder';
export { tapStore, type InputSink, type StoreTap } from './tap';
export { readRecording, readRecordingFile, RecordingError, type ReadProblem, type Recording } from './reader';
export { Replay, applyEntry, DEFAULT_CHECKPOINT_EVERY_MS, type ReplayOptions, type SeekOptions } from './replay';
export { summarize, formatSummary, formatOffset, parseInstant, type Marker, type RecordingSummary } from './summary';
export { FORMAT_MAJOR, FORMAT_MINOR, Kind, type Entry, type RecordingHeader } from './format';

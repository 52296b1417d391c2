package servicing

// SetCrashPointForTest makes day-close chunks fail half-way, as a killed
// process would, for restart tests.
func SetCrashPointForTest(sv *Service, f func(Chunk) error) { sv.crashPoint = f }

// SetChunkCheckedForTest runs f when a day-close chunk was found open,
// before its writes, so a test can close it from elsewhere meanwhile.
func SetChunkCheckedForTest(sv *Service, f func(Chunk)) { sv.chunkChecked = f }

// SetCheckStateReadForTest runs f in Check between its read of a
// contract's cached state and its reads of the contract's ledger.
func SetCheckStateReadForTest(f func(id int64)) {
	if f == nil {
		checkStateRead.Store(nil)
		return
	}
	checkStateRead.Store(&f)
}

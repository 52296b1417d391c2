package servicing

// SetCrashPointForTest makes day-close chunks fail half-way, as a killed
// process would, for restart tests.
func SetCrashPointForTest(sv *Service, f func(Chunk) error) { sv.crashPoint = f }

package payments

// SetCrashPointForTest makes the runs fail at a named step inside their
// transaction ("autopay", "originate"), as a killed process would.
func SetCrashPointForTest(s *Service, f func(step string) error) { s.crashPoint = f }

// SetChunkForTest sets how many debits one origination transaction posts.
func SetChunkForTest(s *Service, n int) { s.chunk = n }

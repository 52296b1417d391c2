package payments

// SetCrashPointForTest makes the runs fail at a named step inside their
// transaction ("autopay", "originate"), as a killed process would.
func SetCrashPointForTest(s *Service, f func(step string) error) { s.crashPoint = f }

// SetChunkForTest sets how many debits one origination transaction posts.
func SetChunkForTest(s *Service, n int) { s.chunk = n }

// SealForTest encrypts an account number as AddBankAccount stores it,
// for benchmarks that load many accounts in bulk.
func SealForTest(s *Service, account string, customerID int64) (string, []byte) {
	return s.cfg.Keys.seal(account, accountAAD(customerID))
}

// DishonorCodesForTest is the SQL list of dishonored-return codes.
const DishonorCodesForTest = dishonorCodes

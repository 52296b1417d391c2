package web

import "time"

// ObserveJob records a job worked: its kind, whether it failed and how
// long it ran, as carfin_jobs_total and carfin_job_duration_seconds. The
// jobs runner calls it (jobs.Config.Observe).
func (s *Server) ObserveJob(kind string, failed bool, took time.Duration) {
	s.metrics.ObserveJob(kind, failed, took)
}

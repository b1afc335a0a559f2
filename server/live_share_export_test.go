package server

// Hooks of the external tests into the shared renderings of live entries.

// SetLiveSharing turns the sharing of renderings on or off for
// subscriptions opened from now on.
func SetLiveSharing(s *Server, on bool) { s.share.off.Store(!on) }

// LiveSharedHits is how many deliveries sent another subscription's
// rendering.
func LiveSharedHits(s *Server) int64 { return s.share.hits.Load() }

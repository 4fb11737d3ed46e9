package netsim

// Blackhole is a Proxy used for its Freeze: what the earliest tests
// needed, kept as a name for them.
type Blackhole = Proxy

// NewBlackhole is NewProxy.
func NewBlackhole(target string) (*Blackhole, error) { return NewProxy(target) }

package benchtable

// Settle lets the machine finish the disk writes that earlier work left
// behind (the benchmarks before it write and delete gigabytes), so that
// their writeback does not land inside a measurement of latency or CPU.
// Call it before the measurement's setup.
func Settle() { settle() }

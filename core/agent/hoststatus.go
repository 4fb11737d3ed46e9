package agent

import (
	"context"
	"os"
	"runtime"
	"time"

	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/disk"
	"github.com/shirou/gopsutil/v4/host"
	"github.com/shirou/gopsutil/v4/mem"

	"github.com/lanyard/lanyard/core/wire/pb"
)

// status gathers what the Overview tab shows. Each probe that fails
// leaves its fields empty rather than failing the request.
func (a *Agent) status(ctx context.Context) *pb.StatusResponse {
	a.mu.Lock()
	s := a.settings
	a.mu.Unlock()
	st := &pb.StatusResponse{
		Name:               s.Name,
		Os:                 runtime.GOOS,
		Arch:               runtime.GOARCH,
		AgentVersion:       a.cfg.Version,
		AgentUptimeSeconds: uint64(time.Since(a.started) / time.Second),
		Ssl:                s.SSL,
		Management:         s.Management,
	}
	st.Hostname, _ = os.Hostname()
	if hi, err := host.InfoWithContext(ctx); err == nil {
		st.UptimeSeconds = hi.Uptime
		st.Platform = hi.Platform + " " + hi.PlatformVersion
	}
	if vm, err := mem.VirtualMemoryWithContext(ctx); err == nil {
		st.MemoryTotal, st.MemoryUsed = vm.Total, vm.Used
	}
	dir := a.cfg.DataDir
	if dir == "" {
		dir = "/"
	}
	if du, err := disk.UsageWithContext(ctx, dir); err == nil {
		st.DiskTotal, st.DiskUsed = du.Total, du.Used
	}
	// Zero interval: the usage since the previous call, without waiting.
	if pct, err := cpu.PercentWithContext(ctx, 0, false); err == nil && len(pct) > 0 {
		st.CpuPercent = pct[0]
	}
	return st
}

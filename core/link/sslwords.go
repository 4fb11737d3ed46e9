package link

// What SSL on and off mean, in the words every place that offers the
// choice uses: beside the console's checkbox, in `lanyard settings show`
// and in `lanyard-agent status` (DESIGN §2, SECURITY.md).
const (
	// SSLOffRisk is what SSL off exposes.
	SSLOffRisk = "with SSL off, anyone who records one login can try passwords offline at leisure, " +
		"and anyone on the network path can take over the link and send commands as the console"
	// SSLOnRisk is what SSL on still leaves open.
	SSLOnRisk = "with SSL on, only an impostor answering at the very first contact gets a login to try passwords against offline, " +
		"and not even that when the other side's certificate fingerprint was given"
	// SSLAdvice is what to do about it.
	SSLAdvice = "keep SSL on and use long random passwords"
	// AlteredOnTheWay says what a stream that arrives changed means, and
	// the fix: a "smart" firewall or proxy that inspects plain traffic is
	// in the path.
	AlteredOnTheWay = "altered on the way by a firewall or proxy that inspects traffic: " +
		"turn SSL on at both ends, which such a box can neither read nor change"
)

//go:build windows

package app

import "golang.org/x/sys/windows"

func isPrivileged() bool {
	return windows.GetCurrentProcessToken().IsElevated()
}

// makePrivate gives full control to SYSTEM, the Administrators group and
// the user running this process, inherited by files and subdirectories,
// and blocks inheritance from the parent (ProgramData lets every user
// read).
func makePrivate(dir string) error {
	sddl := "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"
	if u, err := windows.GetCurrentProcessToken().GetTokenUser(); err == nil {
		sddl += "(A;OICI;FA;;;" + u.User.Sid.String() + ")"
	}
	sd, err := windows.SecurityDescriptorFromString(sddl)
	if err != nil {
		return err
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return err
	}
	return windows.SetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil)
}

package app

import "fmt"

// ParseOnOff reads an on/off command-line value; "" means not given (nil).
func ParseOnOff(flag, v string) (*bool, error) {
	switch v {
	case "":
		return nil, nil
	case "on", "true", "yes":
		t := true
		return &t, nil
	case "off", "false", "no":
		f := false
		return &f, nil
	}
	return nil, fmt.Errorf("%s takes on or off, not %q", flag, v)
}

// OnOff is how the command lines print a setting.
func OnOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// OrDash prints "-" for an empty table cell.
func OrDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

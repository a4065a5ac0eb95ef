// ovf-parse: an OVF descriptor read by govmomi's OVF parser (the one
// govc and VMware's Go tooling use), for tests/integration/profiles.sh.
// It prints what an importer takes from the descriptor, one fact a line:
//
//	os_id 96
//	os_type debian10_64Guest
//	family vmx-13
//	disk vmdisk1 10 byte * 2^30 10737418240
//	controller 6 lsilogic
//	nic E1000
//
// The capacity is read back to bytes from its units in the "byte * 2^N"
// form (and a bare "byte"); any other form exits 1 with a message, as the
// strictest importer (Proxmox) would not read it.
//
// Built offline with Debian's Go and govmomi sources:
//
//	GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS= go build -o ovf-parse ovf-parse.go
package main

import (
	"fmt"
	"os"
	"regexp"
	"strconv"

	"github.com/vmware/govmomi/ovf"
)

var powerOfTwo = regexp.MustCompile(`^byte \* 2\^([0-9]+)$`)

func unitBytes(units *string) (uint64, error) {
	if units == nil || *units == "byte" {
		return 1, nil
	}
	m := powerOfTwo.FindStringSubmatch(*units)
	if m == nil {
		return 0, fmt.Errorf("capacity units %q are not in the byte * 2^N form", *units)
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n > 62 {
		return 0, fmt.Errorf("capacity units %q: bad exponent", *units)
	}
	return uint64(1) << uint(n), nil
}

func str(s *string) string {
	if s == nil {
		return "(none)"
	}
	return *s
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: ovf-parse FILE.ovf")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "ovf-parse:", err)
		os.Exit(1)
	}
	defer f.Close()
	env, err := ovf.Unmarshal(f)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ovf-parse: govmomi:", err)
		os.Exit(1)
	}
	vs := env.VirtualSystem
	if vs == nil || len(vs.OperatingSystem) != 1 || len(vs.VirtualHardware) != 1 ||
		vs.VirtualHardware[0].System == nil || env.Disk == nil {
		fmt.Fprintln(os.Stderr, "ovf-parse: no VirtualSystem with one OS, one hardware section and disks")
		os.Exit(1)
	}
	osSec := vs.OperatingSystem[0]
	fmt.Printf("os_id %d\n", osSec.ID)
	fmt.Printf("os_type %s\n", str(osSec.OSType))
	fmt.Printf("family %s\n", str(vs.VirtualHardware[0].System.VirtualSystemType))
	for _, d := range env.Disk.Disks {
		unit, err := unitBytes(d.CapacityAllocationUnits)
		if err != nil {
			fmt.Fprintf(os.Stderr, "ovf-parse: disk %s: %v\n", d.DiskID, err)
			os.Exit(1)
		}
		q, err := strconv.ParseUint(d.Capacity, 10, 64)
		if err != nil {
			fmt.Fprintf(os.Stderr, "ovf-parse: disk %s: capacity %q: %v\n", d.DiskID, d.Capacity, err)
			os.Exit(1)
		}
		fmt.Printf("disk %s %d %s %d\n", d.DiskID, q, str(d.CapacityAllocationUnits), q*unit)
	}
	for _, it := range vs.VirtualHardware[0].Item {
		if it.ResourceType == nil {
			continue
		}
		switch *it.ResourceType {
		case 5, 6, 20:
			fmt.Printf("controller %d %s\n", *it.ResourceType, str(it.ResourceSubType))
		case 10:
			fmt.Printf("nic %s\n", str(it.ResourceSubType))
		}
	}
}

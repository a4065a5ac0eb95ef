# .SYNOPSIS
# Creates the Hyper-V virtual machine of the appliance t 1.2.3.
#
# .DESCRIPTION
# A Generation 2 VM (UEFI, Secure Boot on, disks on SCSI) with 3 virtual CPU(s),
# 1024 MiB of static memory and 1 network adapter(s) on one switch.
# The two VHDX disks of this folder are attached where they are, not
# copied: put the folder where the VM should live first. It starts
# nothing; on an error it removes the VM it made (never the disks).
#
# .PARAMETER Name
# The name of the new VM; no VM of that name may exist.
# .PARAMETER SwitchName
# The virtual switch for the network adapters (Get-VMSwitch lists them).
# .PARAMETER Path
# The folder that holds the VHDX disks; by default the script's own.
#
# .EXAMPLE
# In an elevated PowerShell (or as a member of Hyper-V Administrators):
#   powershell -ExecutionPolicy Bypass -File .\t.ps1 -SwitchName 'External'
#   Start-VM -Name t

#Requires -Version 5.1
#Requires -Modules Hyper-V

[CmdletBinding()]
param(
    [string]$Name = 't',
    [string]$SwitchName = 'Default Switch',
    [string]$Path = $PSScriptRoot
)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'
if (-not $Path) { $Path = (Get-Location).Path }
$osDisk = Join-Path $Path 't-os.vhdx'
$appDisk = Join-Path $Path 't-app.vhdx'

# An aarch64 appliance: only Hyper-V on ARM64 Windows runs it.
$hostArch = $env:PROCESSOR_ARCHITECTURE
if ($env:PROCESSOR_ARCHITEW6432) { $hostArch = $env:PROCESSOR_ARCHITEW6432 }
if ($hostArch -ne 'ARM64') {
    throw "this appliance is aarch64, which Hyper-V runs only on ARM64 Windows; this host is $hostArch"
}
foreach ($disk in @($osDisk, $appDisk)) {
    if (-not (Test-Path -LiteralPath $disk -PathType Leaf)) {
        throw "disk '$disk' not found: pass -Path, the folder of the disks"
    }
}
if (Get-VM -Name $Name -ErrorAction SilentlyContinue) {
    throw "a virtual machine named '$Name' exists already: pass another -Name"
}
if (-not (Get-VMSwitch -Name $SwitchName -ErrorAction SilentlyContinue)) {
    throw "no virtual switch named '$SwitchName': pass -SwitchName"
}

$vm = New-VM -Name $Name -Generation 2 -MemoryStartupBytes 1073741824 -NoVHD
try {
    $notes = @(
        'a test appliance'
        ('Vendor: ' + 'appliance project')
        ('Version: ' + '1.2.3')
    ) -join "`r`n"
    Set-VM -VM $vm -StaticMemory -Notes $notes
    Set-VMProcessor -VM $vm -Count 3
    # Windows Server 2016 has no automatic checkpoints to turn off.
    if ((Get-Command Set-VM).Parameters.ContainsKey('AutomaticCheckpointsEnabled')) {
        Set-VM -VM $vm -AutomaticCheckpointsEnabled $false
    }
    $osDrive = Add-VMHardDiskDrive -VM $vm -ControllerType SCSI -ControllerNumber 0 -ControllerLocation 0 -Path $osDisk -Passthru
    Add-VMHardDiskDrive -VM $vm -ControllerType SCSI -ControllerNumber 0 -ControllerLocation 1 -Path $appDisk
    Set-VMFirmware -VM $vm -EnableSecureBoot On -SecureBootTemplate MicrosoftUEFICertificateAuthority -FirstBootDevice $osDrive
    Get-VMNetworkAdapter -VM $vm | Connect-VMNetworkAdapter -SwitchName $SwitchName
} catch {
    Remove-VM -VM $vm -Force
    throw
}
Write-Output "created virtual machine '$Name'; start it with: Start-VM -Name '$Name'"

/* bootloader.h: GRUB for BIOS and UEFI, installed without the appliance.
 *
 * The tree's own grub-mkimage (in a chroot, so its modules match) makes a
 * core image for each firmware whose early configuration finds /boot by
 * UUID. UEFI: BOOTX64.EFI on the removable path, so no NVRAM entry is
 * needed on a foreign hypervisor; with Secure Boot (the plan's
 * hardware.secure_boot) the distribution's signed shim is BOOTX64.EFI
 * there, beside its signed GRUB (grubx64.efi), MokManager (mmx64.efi)
 * and a grub.cfg that reads /boot's. BIOS: boot.img in the protective MBR and
 * core.img in the BIOS boot partition, as grub-bios-setup places them. */
#ifndef APPLIANCE_BOOTLOADER_H
#define APPLIANCE_BOOTLOADER_H

#include "appliance/error.h"
#include "appliance/plan.h"
#include "appliance/spawn.h"

/* Makes scratch/efi-boot/ (the files of the ESP's EFI/BOOT) and/or
 * scratch/core.img and scratch/boot.img, as the plan's firmware needs.
 * root is the configured tree. */
int bootloader_images(const struct plan *plan, const char *root, const char *scratch,
                      const struct spawn_ctx *ctx, struct ab_error *err);

/* Writes boot.img and core.img from scratch into the OS disk image. */
int bootloader_install_bios(const struct plan *plan, const char *os_img, const char *scratch,
                            struct ab_error *err);

#endif

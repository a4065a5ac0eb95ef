/* gpt.c: the GUID partition table's types, its sfdisk script, and its
 * reader (gpt.h). */
#include "appliance/gpt.h"

#include <inttypes.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "appliance/bytes.h"
#include "appliance/fsutil.h"

#define GPT_GUID_TEXT_LEN 36

static const struct {
    const char *guid;
    const char *name;
} types[GPT_N_TYPES] = {
    [GPT_TYPE_BIOS_BOOT] = {"21686148-6449-6E6F-744E-656564454649", "BIOS boot"},
    [GPT_TYPE_ESP] = {"C12A7328-F81F-11D2-BA4B-00A0C93EC93B", "EFI System"},
    [GPT_TYPE_XBOOTLDR] = {"BC13C2FF-59E6-4262-A352-B275FD6F7172", "Linux extended boot"},
    [GPT_TYPE_LVM] = {"E6D6D379-F507-44C2-A23C-238F2A3DF928", "Linux LVM"},
    [GPT_TYPE_LINUX] = {"0FC63DAF-8483-4772-8E79-3D69D8477DE4", "Linux filesystem"},
    [GPT_TYPE_SWAP] = {"0657FD6D-A4AB-43C4-84E5-0933C84B4F4F", "Linux swap"},
    [GPT_TYPE_ROOT_X86_64] = {"4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709", "Linux root (x86-64)"},
    [GPT_TYPE_RAID] = {"A19D880F-05FC-4D3B-A006-743F0F84911E", "Linux RAID"},
    [GPT_TYPE_MS_BASIC] = {"EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", "Microsoft basic data"},
};

const char *
gpt_type_guid(enum gpt_type type)
{
    return (unsigned)type < GPT_N_TYPES ? types[type].guid : "?";
}

const char *
gpt_type_name(enum gpt_type type)
{
    return (unsigned)type < GPT_N_TYPES ? types[type].name : "?";
}

int
gpt_type_from_guid(const char *guid)
{
    for (int i = 0; guid && i < GPT_N_TYPES; i++)
        if (strcasecmp(types[i].guid, guid) == 0)
            return i;
    return -1;
}

static int
hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int
gpt_guid_encode(const char *text, unsigned char out[GPT_GUID_LEN])
{
    unsigned char b[GPT_GUID_LEN];
    size_t n = 0;
    if (strlen(text) != GPT_GUID_TEXT_LEN)
        return -1;
    for (size_t i = 0; i < GPT_GUID_TEXT_LEN; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash) {
            if (text[i] != '-')
                return -1;
            continue;
        }
        int hi = hex_digit(text[i]), lo = hex_digit(text[i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        b[n++] = (unsigned char)(hi << 4 | lo);
        i++;
    }
    /* time_low, time_mid and time_hi little-endian; the rest as written. */
    put_le32(out, get_be32(b));
    put_le16(out + 4, (uint16_t)(b[4] << 8 | b[5]));
    put_le16(out + 6, (uint16_t)(b[6] << 8 | b[7]));
    memcpy(out + 8, b + 8, 8);
    return 0;
}

void
gpt_script_head(FILE *f, const char *disk_guid, uint64_t first_lba)
{
    fprintf(f, "label: gpt\nlabel-id: %s\nunit: sectors\nfirst-lba: %" PRIu64 "\n", disk_guid,
            first_lba);
}

void
gpt_script_part(FILE *f, uint64_t start, uint64_t size, enum gpt_type type, const char *guid,
                const char *name)
{
    fprintf(f, "start=%" PRIu64 ", size=%" PRIu64 ", type=%s, uuid=%s, name=\"%s\"\n",
            start / SECTOR, size / SECTOR, gpt_type_guid(type), guid, name);
}

int
gpt_entry_is(const struct gpt_entry *e, enum gpt_type type)
{
    unsigned char want[GPT_GUID_LEN];
    return gpt_guid_encode(gpt_type_guid(type), want) == 0 &&
           memcmp(e->type, want, GPT_GUID_LEN) == 0;
}

void
gpt_guid_format(const unsigned char g[GPT_GUID_LEN], char out[GPT_GUID_TEXT_BUF])
{
    snprintf(out, GPT_GUID_TEXT_BUF, "%08" PRIx32 "-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             get_le32(g), get_le16(g + 4), get_le16(g + 6), g[8], g[9], g[10], g[11], g[12], g[13],
             g[14], g[15]);
}

int
gpt_entry_used(const struct gpt_entry *e)
{
    static const unsigned char zero[GPT_GUID_LEN];
    return memcmp(e->type, zero, GPT_GUID_LEN) != 0;
}

/* One code point as UTF-8 into out (room for 4 bytes): its length. */
static size_t
utf8_put(uint32_t c, char *out)
{
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (char)(0xc0 | c >> 6);
        out[1] = (char)(0x80 | (c & 0x3f));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (char)(0xe0 | c >> 12);
        out[1] = (char)(0x80 | (c >> 6 & 0x3f));
        out[2] = (char)(0x80 | (c & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | c >> 18);
    out[1] = (char)(0x80 | (c >> 12 & 0x3f));
    out[2] = (char)(0x80 | (c >> 6 & 0x3f));
    out[3] = (char)(0x80 | (c & 0x3f));
    return 4;
}

/* The entry's name, UTF-16LE up to the first NUL, as UTF-8: 36 units
 * give at most 108 bytes. An unpaired surrogate is '?'. */
static void
name_decode(const unsigned char *p, char out[GPT_NAME_BUF])
{
    size_t o = 0;
    for (size_t i = 0; i < GPT_NAME_UNITS; i++) {
        uint32_t c = get_le16(p + 2 * i);
        if (c == 0)
            break;
        if (c >= 0xd800 && c < 0xdc00 && i + 1 < GPT_NAME_UNITS) {
            uint32_t lo = get_le16(p + 2 * (i + 1));
            if (lo >= 0xdc00 && lo < 0xe000) {
                c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
                i++;
            }
        }
        if (c >= 0xd800 && c < 0xe000)
            c = '?';
        o += utf8_put(c, out + o);
    }
    out[o] = '\0';
}

int
gpt_read_each(const struct byte_reader *rd, int (*fn)(void *ctx, const struct gpt_entry *e),
              void *ctx, struct ab_error *err)
{
    unsigned char hdr[92], raw[GPT_ENTRY_MIN];
    uint64_t size = rd->size;
    int r = reader_inside(rd, GPT_HEADER_LBA * SECTOR, hdr, sizeof(hdr), err);
    if (r <= 0 || memcmp(hdr, "EFI PART", 8) != 0)
        return r;
    uint64_t lba = get_le64(hdr + 72);
    uint32_t n = get_le32(hdr + 80), esize = get_le32(hdr + 84);
    if (esize < GPT_ENTRY_MIN || esize > 4096 || n > GPT_ENTRY_MAX || lba > size / SECTOR)
        return 0;
    for (uint32_t i = 0; i < n; i++) {
        r = reader_inside(rd, lba * SECTOR + (uint64_t)i * esize, raw, sizeof(raw), err);
        if (r <= 0)
            return r;
        struct gpt_entry e = {
            .number = i + 1, .first_lba = get_le64(raw + 32), .last_lba = get_le64(raw + 40)};
        memcpy(e.type, raw, GPT_GUID_LEN);
        memcpy(e.guid, raw + 16, GPT_GUID_LEN);
        name_decode(raw + 56, e.name);
        if ((r = fn(ctx, &e)) != 0)
            return r;
    }
    return 0;
}

int
gpt_each(int fd, uint64_t size, int (*fn)(void *ctx, const struct gpt_entry *e), void *ctx,
         struct ab_error *err)
{
    struct byte_reader rd = byte_reader_fd(fd, size);
    return gpt_read_each(&rd, fn, ctx, err);
}

static int
note_boot(void *ctx, const struct gpt_entry *e)
{
    int *flags = ctx;
    if (gpt_entry_is(e, GPT_TYPE_BIOS_BOOT))
        *flags |= GPT_BOOT_BIOS;
    if (gpt_entry_is(e, GPT_TYPE_ESP))
        *flags |= GPT_BOOT_UEFI;
    return 0;
}

int
gpt_boot_kinds(int fd, uint64_t size, struct ab_error *err)
{
    int flags = 0;
    return gpt_each(fd, size, note_boot, &flags, err) < 0 ? -1 : flags;
}

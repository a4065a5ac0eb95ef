/* bytes.h: little- and big-endian integers in on-disk structures (GPT,
 * LVM, VMDK, VHDX, VDI, VHD, qcow2), read and written byte by byte whatever
 * the host's order, and the sector they count in. Header only: the VMDK
 * writer, which links with nothing but libdeflate and libc, uses it too. */
#ifndef APPLIANCE_BYTES_H
#define APPLIANCE_BYTES_H

#include <stdint.h>

/* The sector of every disk and format the program writes or reads: GPT's
 * logical block, LVM's sector, VMDK's, VHD's and qemu's. */
#define SECTOR 512

static inline uint64_t
bytes_get_le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n; i-- > 0;)
        v = v << 8 | p[i];
    return v;
}

static inline void
bytes_put_le(unsigned char *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static inline uint16_t
get_le16(const unsigned char *p)
{
    return (uint16_t)bytes_get_le(p, 2);
}

static inline uint32_t
get_le32(const unsigned char *p)
{
    return (uint32_t)bytes_get_le(p, 4);
}

static inline uint64_t
get_le64(const unsigned char *p)
{
    return bytes_get_le(p, 8);
}

static inline void
put_le16(unsigned char *p, uint16_t v)
{
    bytes_put_le(p, v, 2);
}

static inline void
put_le32(unsigned char *p, uint32_t v)
{
    bytes_put_le(p, v, 4);
}

static inline void
put_le64(unsigned char *p, uint64_t v)
{
    bytes_put_le(p, v, 8);
}

static inline uint32_t
get_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline uint64_t
get_be64(const unsigned char *p)
{
    return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

static inline void
put_be32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * (3 - i)));
}

#endif

/*
 * The "marker system" of the lifecycle e2e test: a BIOS boot sector (MBR)
 * that writes one line to COM1,
 *
 *   NETBOOTD-E2E: booted from disk: marker TOKEN
 *
 * and then powers the VM off (ACPI soft-off at the PM1a control port that
 * SeaBIOS gives QEMU's PIIX4 and ICH9) or, where that does nothing, halts.
 * TOKEN is the NUL-terminated string at offset TOKEN_OFFSET (0x100) of the
 * sector, at most 64 bytes: tests/lib/disk-marker.sh and the stand-in
 * installer of tests/lib/mkimage.sh write it there.  The sector is built
 * with a blank (empty) token:
 *
 *   as --32 -o m.o disk-marker.S && ld -m elf_i386 -Ttext 0x7c00 --oformat binary -o m.bin m.o
 *
 * COM1 needs no set-up in QEMU: the line status register is polled so that
 * real hardware would not drop characters either.
 */
	.code16
	.text
	.globl _start
_start:
	cli
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw $0x7c00, %sp
	cld
	movw $crlf, %si		/* after the firmware's "Booting from Hard Disk..." */
	call puts
	movw $prefix, %si
	call puts
	movw $token, %si
	call puts
	movw $crlf, %si
	call puts
	/*
	 * ACPI S5: SLP_EN with SLP_TYP 0 (QEMU's _S5) at PM1a_CNT, port
	 * 0x604: the PM base 0x600 that SeaBIOS gives QEMU's PIIX4 (pc) and
	 * ICH9 (q35).  Elsewhere it does nothing and the loop below halts.
	 */
	movw $0x2000, %ax
	movw $0x604, %dx
	outw %ax, %dx
halt:
	cli
	hlt
	jmp halt

/* Write the NUL-terminated string at %si to COM1. */
puts:
	lodsb
	testb %al, %al
	jz 2f
	movb %al, %bl
	movw $0x3fd, %dx	/* line status: wait for an empty transmitter */
1:	inb %dx, %al
	testb $0x20, %al
	jz 1b
	movb %bl, %al
	movw $0x3f8, %dx
	outb %al, %dx
	jmp puts
2:	ret

prefix:
	.asciz "NETBOOTD-E2E: booted from disk: marker "
crlf:
	.asciz "\r\n"

	.org 0x100
token:
	.fill 65, 1, 0

	.org 510
	.byte 0x55, 0xaa

/* SPDX-License-Identifier: MIT */
/*
 * fuzz_emu.h - the preamble the raw-parameter harnesses share: the first
 * input opens one small emulator as the current backend, and every later
 * input of the process runs on it.
 */
#ifndef KMEMU_FUZZ_FUZZ_EMU_H
#define KMEMU_FUZZ_FUZZ_EMU_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <kmemu/kmemu.h>

/*
 * fuzz_emu_open_once() - on the first call, open an "emu" backend of
 * @ram_bytes simulated RAM as the current backend (abort() when it cannot);
 * with KMEMU_FUZZ_BACKEND set, that backend instead, with its defaults
 * (KMEMU_FUZZ_BACKEND=linux runs a harness on the real Linux backend).
 * @user_space_bytes: host VA per emulated process; 0 keeps the default.
 * @placement: frame placement; KMEMU_PLACE_DEFAULT keeps what
 *             kmemu_config_default() chose (KMEMU_PLACEMENT).
 * Return: 1 on the call that opened it (the caller's one-time warm-up
 * follows), 0 on every later call.
 */
static inline int fuzz_emu_open_once(uint64_t ram_bytes, uint64_t user_space_bytes,
				     enum kmemu_placement placement)
{
	static int opened;
	struct kmemu_config cfg;

	const char *other = getenv("KMEMU_FUZZ_BACKEND");

	if (opened)
		return 0;
	if (other && *other && strcmp(other, "emu")) {
		if (kmemu_backend_use(other, NULL))
			abort();
		opened = 1;
		return 1;
	}
	kmemu_config_default(&cfg);
	cfg.ram_bytes = ram_bytes;
	if (user_space_bytes)
		cfg.user_space_bytes = user_space_bytes;
	if (placement != KMEMU_PLACE_DEFAULT)
		cfg.placement = placement;
	if (kmemu_backend_use("emu", &cfg))
		abort();
	opened = 1;
	return 1;
}

#endif /* KMEMU_FUZZ_FUZZ_EMU_H */

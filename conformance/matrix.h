/* SPDX-License-Identifier: MIT */
/*
 * matrix.h - kmemu-conform --format matrix (matrix.c).
 */
#ifndef KMEMU_CONFORMANCE_MATRIX_H
#define KMEMU_CONFORMANCE_MATRIX_H

/**
 * kmemu_matrix_write() - merge result files into one Markdown matrix.
 * @out:   output path, or NULL for stdout.
 * @files: JUnit XML or TAP reports of kmemu-conform, one per backend.
 * @n:     number of files (at least 1).
 * Return: 0; 2 when a file cannot be read or parsed, or @out written.
 */
int kmemu_matrix_write(const char *out, char **files, int n);

#endif /* KMEMU_CONFORMANCE_MATRIX_H */

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_version.h - the version of mod_invite (logged at start-up).
 */
#ifndef INVITE_VERSION_H
#define INVITE_VERSION_H

#define INVITE_VERSION "0.9.0"

#endif

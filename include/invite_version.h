#ifndef INVITE_VERSION_H
#define INVITE_VERSION_H

#define INVITE_VERSION "0.9.0"

#endif

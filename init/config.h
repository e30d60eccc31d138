/* init/config.h — reads a config file: [Service] keys to the option tables, [Login NAME]
 * sections to creds/. */
#ifndef USHER_CONFIG_H
#define USHER_CONFIG_H

/* 0, or -1 after printing "usher: <file>:<line>: <why>". At most 16 files, 1 MiB each. */
int config_read(const char *path);
/* The parsing half, on text (NUL-terminated, cut up in place) read from path; setters may
 * keep pointers into text. Used by config_read and the config fuzzer. */
int config_parse(char *text, const char *path);

#endif

/* init/config.h — reads a config file: [Service] keys to the option tables, [Login NAME]
 * sections to creds/. */
#ifndef USHER_CONFIG_H
#define USHER_CONFIG_H

/* 0, or -1 after printing "usher: <file>:<line>: <why>". */
int config_read(const char *path);

#endif

// Stub of common/log.h: logging compiled out.
#pragma once
#define LOG_DBG(...) ((void) 0)
#define LOG_INF(...) ((void) 0)
#define LOG_WRN(...) ((void) 0)
#define LOG_ERR(...) ((void) 0)
#define LOG_TRC(...) ((void) 0)
#define LOG_CNT(...) ((void) 0)

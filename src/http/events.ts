// Events of the HTTP layer (numbers as in Mongoose).
/** A message head arrived (data: HttpMessage without its body). */
export const MG_EV_HTTP_HDRS = 10 as const;
/** A whole request or response arrived (data: HttpMessage). */
export const MG_EV_HTTP_MSG = 11 as const;

// Events of the SNTP layer (number as in Mongoose).
/** A valid time reply arrived (data: the server's time in epoch milliseconds). */
export const MG_EV_SNTP_TIME = 18 as const;

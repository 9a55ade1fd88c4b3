// Events of the MQTT layer (numbers as in Mongoose).
/** Any MQTT packet arrived (data: MqttMessage). */
export const MG_EV_MQTT_CMD = 15 as const;
/** A PUBLISH arrived (data: MqttMessage). */
export const MG_EV_MQTT_MSG = 16 as const;
/** Client: CONNACK arrived (data: its return / reason code). */
export const MG_EV_MQTT_OPEN = 17 as const;

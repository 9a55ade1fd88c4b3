// The shape of an MQTT message as handlers receive it (MG_EV_MQTT_CMD / MG_EV_MQTT_MSG).
// The MQTT layer itself is a later issue; the type is fixed here by the API contract.

export interface MqttProperty {
  id: number;
  iv?: number;
  key?: string;
  val?: string;
}

export interface MqttMessage {
  topic: string;
  data: Buffer;
  text: string;
  id: number;
  cmd: number;
  qos: number;
  ack: number;
  retain: boolean;
  properties(): MqttProperty[];
}

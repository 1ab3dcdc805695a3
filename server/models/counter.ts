import mongoose, { Schema } from 'mongoose';

/** Named sequences (e.g. "folio:<edition>"), incremented atomically. */
const counterSchema = new Schema({ _id: { type: String, required: true }, seq: { type: Number, required: true, default: 0 } }, { versionKey: false });

export const CounterModel = mongoose.model('Counter', counterSchema, 'counters');

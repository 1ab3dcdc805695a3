/**
 * The score of the demo answers (questionnaires/demo-answers.ts), worked out by hand from the 2017
 * methodology's weights, for the tests that check the engine and the web flow against it.
 */
const AI = (1 + 1 + 2 / 3 + 1 + 3 / 5 + 1 + 1 + 0) / 8; // unit, head, one full-time person, system, 3 of 5 channels, procedure, committee, no training
const TR = 13 / 17; // 12 of 15 common obligations + development plan, of 17 for a municipality
const TP = (1 + 2 / 6 + 0) / 3; // publishes; 2 of 6 kinds; no outreach
const DA = (1 + 1 + 0 + 1 + 0) / 5; // publishes; open formats; no licence; machine-readable; not updated
const TG = 0.5 * AI + 0.2 * TR + 0.2 * TP + 0.1 * DA;
const TC = (2 / 4 + 2 / 4 + 1 / 4 + 2.5 / 4) / 4; // Disp, Clar, Comp, Cel over the 4 requests
const PG = 0.2 * 1 + 0.1 * (2 / 3) + 0.3 * 1 + 0.1 * 0 + 0.3 * 0; // mechanism, open call, operates, consultative, no follow-up
const PC = 0.2 * (2 / 3) + 0.3 * 1 + 0.3 * 0 + 0.2 * 0.25; // web form, acknowledged, not activated, 35 working days
const GA = (TG + TC + PG + PC) / 4;

export const DEMO_SCORE = { AI, TR, TP, DA, TG, TC, PG, PC, GA } as const;

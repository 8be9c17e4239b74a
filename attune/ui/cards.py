"""The headline cards the Overview and the meeting report share: four to a row, each with its change."""

from __future__ import annotations

import streamlit as st

from attune.overview import Headline


def headline_cards(cards: list[Headline]) -> None:
    columns = st.columns(4)
    for i, card in enumerate(cards):
        columns[i % 4].metric(card.label, card.display, card.delta, help=card.help, border=True,
                              delta_color=card.delta_color, delta_arrow=card.delta_arrow)

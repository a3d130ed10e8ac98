"""The offline plots page: a DVC template with vega inlined, and plot ids turned into file names."""

from usqc.offline_plots import page_template, slug, vega_specs


def test_template_inlines_vega_and_leaves_only_the_plots_placeholder():
    page = page_template()
    assert page.count("{plot_divs}") == 1 and "{scripts}" not in page
    assert "window.vegaEmbed" in page and "https://cdn" not in page
    assert page.count("</script>") == 1  # the bundle cannot close its own tag early


def test_slugs_and_vega_specs_from_dvc_json():
    assert slug("Figure 34 - noise, accuracy (labels)") == "figure_34_noise_accuracy_labels"
    shown = {"data": {"a": [{"type": "vega", "content": {"mark": "line"}}], "b.png": [{"type": "image"}]}}
    assert vega_specs(shown) == {"a": {"mark": "line"}}

"""Portuguese review titles and messages (written for this project), by sentiment.

They carry what a CSV reader must survive: accents, commas, double quotes and line breaks.
"""

from __future__ import annotations

TITLES: dict[str, tuple[str, ...]] = {
    "good": (
        "Recomendo", "Ótimo produto", "Muito bom", "Excelente", "Super recomendo", "Chegou antes do prazo",
        "Adorei", "Perfeito!", "Produto de qualidade", "Nota 10", "Bom custo-benefício", "Satisfeito",
        "Entrega rápida", "Amei!!!", "10/10",
    ),
    "mixed": ("Razoável", "Bom, mas demorou", "Ok", "Poderia ser melhor", "Mais ou menos", "Regular"),
    "bad": (
        "Não recebi", "Péssimo", "Produto errado", "Não recomendo", "Decepcionada", "Atraso na entrega",
        "Veio com defeito", "Horrível", "Falta de respeito", "Aguardando o produto",
    ),
}  # fmt: skip

MESSAGES: dict[str, tuple[str, ...]] = {
    "good": (
        "Produto chegou antes do prazo, muito bem embalado.",
        "Ótimo produto, recomendo a loja.",
        "Excelente qualidade, igual à foto do anúncio.",
        "Entrega super rápida, parabéns à equipe.",
        "Gostei muito, atendeu às minhas expectativas.",
        "Comprei para presentear e a pessoa adorou!",
        'Veio tudo certinho, "original" como prometido.',
        "Tudo ok, chegou no prazo.",
        "Muito bom",
        "Recomendo, vendedor confiável.",
        "Produto de ótima qualidade, já é a segunda vez que compro.",
        "A cor é linda, o tamanho é perfeito.",
        "Chegou rápido e funcionando perfeitamente.",
        "Maravilhoso, vale cada centavo.",
        "Bom produto, preço justo.",
    ),
    "mixed": (
        "O produto é bom, mas a entrega demorou.",
        "Chegou no prazo, porém a embalagem estava amassada.",
        "Razoável, esperava um pouco mais pela descrição.",
        "Funciona, mas o acabamento deixa a desejar.",
        'Veio um "brinde" que não pedi, de resto ok.',
        "O tamanho é menor do que parece na foto.",
        "Atendeu, mas não é tudo isso.",
    ),
    "bad": (
        "Não recebi o produto até agora.",
        "Comprei dois itens e só chegou um, aguardo retorno.",
        "Produto veio com defeito, quero a troca.",
        "Péssimo atendimento, ninguém responde.",
        "Recebi o produto errado, cor diferente da que pedi.",
        'Disseram que foi "entregue", mas não recebi nada!',
        "Atrasou mais de duas semanas, uma falta de respeito.",
        "Não recomendo, qualidade muito inferior.",
        "O pedido foi cancelado sem nenhuma explicação.",
        "Veio quebrado, embalagem sem proteção.",
        "Estou aguardando o reembolso há dias.",
    ),
}

# Between two fragments of a message: commas, full stops and the line breaks real reviews contain.
JOINERS: tuple[str, ...] = (" ", ", ", ". ", "\r\n", "\n", " ... ")
